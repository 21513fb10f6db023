import {randomBytes} from 'node:crypto';
import {DistError, describeValue} from './dist-error.ts';

export interface NodeName {
	/** Before the `@`: what EPMD knows the node by. */
	readonly alive: string;
	readonly host: string;
}

const ALIVE = /^[A-Za-z0-9_-]+$/;

/** Split `name@host`, refusing what no node could be called. */
export function parseNodeName(node: string): NodeName {
	const parts = node.split('@');
	const [alive = '', host = ''] = parts;
	if (parts.length !== 2 || !ALIVE.test(alive) || host === '' || /\s/.test(host)) {
		throw new DistError('ERR_DIST_OPTIONS', `node must look like \`name@host\`, got ${describeValue(node)}`, {
			hint: 'Use the name the node was started with (what node() returns there, e.g. ejabberd@localhost).',
		});
	}
	return {alive, host};
}

/**
 * A fresh name for each connection, so a connection the node has not yet
 * noticed is gone never collides with the next one (status `alive`). The host
 * is the target's own host part: a short-name node wants a short-name peer,
 * and the node does not resolve or check it. Each name costs one atom on the
 * node, which reconnects at a caller's backoff pace cannot exhaust.
 */
export function makeClientName(target: NodeName): string {
	return `reloader_${randomBytes(6).toString('hex')}@${target.host}`;
}
