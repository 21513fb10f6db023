import type {DaemonRecord} from '../records.ts';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export function levelOf(record: DaemonRecord): LogLevel {
	switch (record.event) {
		case 'error': {
			return record.severity;
		}
		case 'batch': {
			return record.ok ? 'info' : 'warn';
		}
		case 'node':
		case 'directory': {
			return record.state === 'down' || record.state === 'gone' ? 'warn' : 'info';
		}
		case 'sibling': {
			return 'warn';
		}
		case 'reload': {
			return record.outcome === 'refused' ? 'error' : 'info';
		}
		default: {
			return 'info';
		}
	}
}

/** A one-line human summary of a record: the `message` of its log line. */
export function summarize(record: DaemonRecord): string {
	switch (record.event) {
		case 'start': {
			return `ejabberd-reloader ${record.version} starting: ${record.transport} transport to ${record.node}`;
		}
		case 'init': {
			const state = record.wasLoaded === undefined ? 'loaded' : record.wasLoaded ? 'was already loaded' : 'was not loaded, now loaded';
			const pending = record.pending.length === 0 ? '' : `; ${record.pending.length} module(s) differ from disk: ${record.pending.join(' ')} (run \`ejabberd-reloader once\` to update them)`;
			return `ejabberd_update ${state} on ${record.node} via ${record.method}${pending}`;
		}
		case 'watch': {
			return `watching ${record.beams} beams in ${record.directories.join(', ')}`;
		}
		case 'api': {
			return `HTTP API listening on ${record.url}${record.tokenRequired ? ' (bearer token required)' : ''}`;
		}
		case 'batch': {
			const parts = [
				list('updated', record.updated),
				list('unchanged', record.unchanged),
				list('notLoaded', record.notLoaded),
				list('failed', record.failed.map(failure => failure.module)),
				list('deferred', record.deferred),
				list('outOfReach', record.outOfReach),
				list('heldBack', record.heldBack),
			].filter(part => part !== '');
			const d = record.durations;
			return `batch ${record.id} (${record.trigger}) ${parts.join(' ') || 'nothing to do'} wait=${d.waitMs}ms update_info=${d.updateInfoMs}ms update=${d.updateMs}ms verify=${d.verifyMs}ms total=${d.totalMs}ms`;
		}
		case 'node': {
			const retry = record.retryInMs === undefined ? '' : `, retrying in ${record.retryInMs} ms`;
			return record.state === 'down' ? `node ${record.node} unreachable${retry}: ${record.reason ?? ''}` : `node ${record.node} reachable again`;
		}
		case 'error': {
			return record.hint === undefined ? record.message : `${record.message} (${record.hint})`;
		}
		case 'stop': {
			return `stopping: ${record.reason}`;
		}
		case 'reload': {
			return record.outcome === 'applied'
				? `new configuration applied: ${record.transport} transport to ${record.node}, watching ${record.directories.join(', ')}, debounce ${record.debounceMs} ms`
				: `new configuration refused, the running one is kept: ${record.reasons.join('; ')}`;
		}
		case 'directory': {
			return record.state === 'gone'
				? `watched directory ${record.directory} is gone; waiting for it to come back (a reinstall?)`
				: `watched directory ${record.directory} is back and watched again; its beams are checked`;
		}
		case 'sibling': {
			return `a newer install directory appeared beside ${record.directory}: ${record.sibling}; if ejabberd now runs from there, point \`watch\` at it (or use watch: auto) and restart the daemon`;
		}
	}
}

function list(name: string, modules: readonly string[]): string {
	return modules.length === 0 ? '' : `${name}=[${modules.join(',')}]`;
}
