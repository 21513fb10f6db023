import {DistClient} from '../../daemon/lib/erlang-dist/index.ts';
import {atom} from '../../daemon/lib/erlang-term/index.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {RELOADER_ALLOW_LIST, readCookie} from '../../daemon/transports/distribution/index.ts';
import {summarize, type Summary} from './stats.ts';

export interface RpcRoundTrip {
	readonly connectMs: number;
	readonly call: Summary;
	readonly callsPerSecond: number;
}

/** Sequential `code:is_loaded(ejabberd)` calls over one dist connection. */
export async function measureRpcRoundTrip(node: SandboxNode, calls: number): Promise<RpcRoundTrip> {
	const client = new DistClient({node: node.node, cookie: async () => (await readCookie(node.cookieFile)).cookie, connectTimeoutMs: 5000, callTimeoutMs: 5000, allow: RELOADER_ALLOW_LIST});
	try {
		const connectStart = performance.now();
		await client.connect();
		const connectMs = performance.now() - connectStart;
		const samples: number[] = [];
		const args = [atom('ejabberd')];
		for (let index = 0; index < 200; index++) {
			await client.call('code', 'is_loaded', args);
		}
		const start = performance.now();
		for (let index = 0; index < calls; index++) {
			const callStart = performance.now();
			await client.call('code', 'is_loaded', args);
			samples.push(performance.now() - callStart);
		}
		const elapsed = performance.now() - start;
		return {connectMs: Math.round(connectMs * 10) / 10, call: summarize(samples, 3), callsPerSecond: Math.round(calls / (elapsed / 1000))};
	} finally {
		await client.close();
	}
}
