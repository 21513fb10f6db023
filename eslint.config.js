import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
	{ignores: ['build/', 'node_modules/']},
	js.configs.recommended,
	...tseslint.configs.strict,
	{
		languageOptions: {globals: {process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', URL: 'readonly'}},
		rules: {
			'no-console': ['error', {allow: ['warn', 'error']}],
			'@typescript-eslint/consistent-type-imports': 'error',
		},
	},
	{
		files: ['daemon/cli/**', 'test/**'],
		rules: {'no-console': 'off'},
	},
);
