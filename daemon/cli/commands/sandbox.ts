import type {ResolvedConfig} from '../../config/schema.ts';

export async function sandboxCommand(config: ResolvedConfig): Promise<number> {
	void config;
	throw new Error('not yet');
}
