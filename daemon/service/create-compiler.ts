import type {ResolvedConfig} from '../config/schema.ts';
import type {CompilerContext} from '../daemon-options.ts';
import {AutoModuleCompiler} from '../sources/auto-module-compiler.ts';
import {ErlcModuleCompiler} from '../sources/erlc-module-compiler.ts';
import {NodeModuleCompiler} from '../sources/node-module-compiler.ts';
import type {ModuleCompiler} from '../sources/source-compiler.ts';
import type {TransportCapabilities} from '../transports/capabilities.ts';
import type {Transport} from '../transports/transport.ts';

/**
 * `compile.compiler` over a transport: `auto` is the node's own compiler
 * wherever the transport can call it (dist: no VM per module, the node's OTP
 * and paths), erlc elsewhere. `node` over a transport that cannot was
 * refused with the configuration (check-capabilities.ts).
 */
export function compilerKindOf(setting: ResolvedConfig['compile']['compiler'], capabilities: TransportCapabilities): 'erlc' | 'node' {
	return setting === 'erlc' || !capabilities.compileModule ? 'erlc' : 'node';
}

/**
 * The save-to-live compiler the configuration asks for, over the pipeline's
 * transport; `auto` on a node that lacks ejabberd's libraries by name falls
 * back to erlc (AutoModuleCompiler).
 */
export function createModuleCompiler(config: ResolvedConfig, transport: Transport, {ejabberdEbin, ejabberdVersion, warn}: CompilerContext): ModuleCompiler {
	const {compile} = config;
	const warningsAsErrors = compile.warnings === 'fail';
	const erlc = new ErlcModuleCompiler({erlc: compile.erlc, warningsAsErrors, timeoutMs: compile.timeoutMs, ejabberdEbin, ejabberdVersion});
	if (compilerKindOf(compile.compiler, transport.capabilities) === 'erlc') {
		return erlc;
	}
	const node = new NodeModuleCompiler({transport, warningsAsErrors, timeoutMs: compile.timeoutMs, maxBeamBytes: config.maxBeamBytes, ejabberdVersion});
	return compile.compiler === 'auto' ? new AutoModuleCompiler(node, erlc, warn) : node;
}
