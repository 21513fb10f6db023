import type {LineField} from '../batch-fields.ts';
import type {DaemonRecord} from '../records.ts';
import type {BatchRecord, FailedModule, ModuleHolders, NodeOutcome} from '../reloader/batch-record.ts';
import {describeProcess} from '../reloader/purge-report.ts';
import {formatDiagnostic} from '../sources/compile-diagnostics.ts';
import type {CompileRecord} from '../sources/compile-record.ts';
import type {NodeVersions} from '../transports/transport.ts';
import {escapeUntrusted} from '../lib/untrusted-text/index.ts';

/** A compiler message longer than this is cut on its line (the record keeps what the compiler stage kept). */
const MAX_DIAGNOSTIC_LENGTH = 1000;

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export function levelOf(record: DaemonRecord): LogLevel {
	switch (record.event) {
		case 'error': {
			return record.severity;
		}
		case 'batch': {
			// A batch whose update killed processes is loud too (each also has its `killed` line).
			return record.ok && record.killed.length === 0 ? 'info' : 'warn';
		}
		case 'node':
		case 'directory': {
			return record.state === 'down' || record.state === 'gone' || record.state === 'left' ? 'warn' : 'info';
		}
		case 'sync': {
			return record.state === 'lagging' ? 'warn' : 'info';
		}
		case 'sibling':
		case 'killed': {
			return 'warn';
		}
		case 'reconfigure': {
			return record.outcome === 'refused' ? 'error' : 'info';
		}
		case 'compile': {
			return record.ok ? (record.diagnostics.length === 0 ? 'info' : 'warn') : 'error';
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
			return `ejabberd_update ${state} on ${record.node}${versionsText(record.versions)} via ${record.method}${pending}`;
		}
		case 'watch': {
			const sources = record.sources === undefined ? '' : `; compiling the sources saved in ${record.sources.join(', ')}`;
			return `watching ${record.beams} beams in ${record.directories.join(', ')}${sources}`;
		}
		case 'api': {
			return `HTTP API listening on ${record.url}${record.tokenRequired ? ' (bearer token required)' : ''}`;
		}
		case 'batch': {
			return batchLine(record);
		}
		case 'killed': {
			return `batch ${record.batch}: updating ${record.module} on ${record.node} KILLED ${record.processes.length} process(es) still running its old code (brutal purge): ${record.processes.map(describeProcess).join('; ')} (${record.hint})`;
		}
		case 'node': {
			const retry = record.retryInMs === undefined ? '' : `, retrying in ${record.retryInMs} ms`;
			return nodeText(record.node, record.state, retry, record.reason);
		}
		case 'sync': {
			const disks = record.modules.map(({module, disk, expected}) => `${disk === null ? 'no readable beam' : `md5 ${shortMd5(disk)}`} for ${module} (the daemon's: ${shortMd5(expected)})`).join(', ');
			return record.state === 'waiting'
				? `batch ${record.batch}: waiting for node ${record.node}: disk has ${disks}; waited ${record.waitedMs} of ${record.syncTimeoutMs} ms`
				: `batch ${record.batch}: node ${record.node} lagging: after ${record.waitedMs} ms (cluster.syncTimeoutMs) its disk still has ${disks}; nothing of this batch is loaded there. Once its disk holds the beams (checked every cluster.pollMs), the daemon updates them on every member that lags`;
		}
		case 'error': {
			return record.hint === undefined ? record.message : `${record.message} (${record.hint})`;
		}
		case 'stop': {
			return `stopping: ${record.reason}`;
		}
		case 'reconfigure': {
			return record.outcome === 'applied'
				? `new configuration applied: ${record.transport} transport to ${record.node}, watching ${record.directories.join(', ')}, debounce ${record.debounceMs} ms`
				: `new configuration refused, the running one is kept: ${record.reasons.join('; ')}`;
		}
		case 'directory': {
			return record.state === 'gone'
				? `watched directory ${record.directory} is gone; waiting for it to come back (a reinstall?)`
				: `watched directory ${record.directory} is back and watched again; its beams are checked`;
		}
		case 'compile': {
			return compileLine(record);
		}
		case 'sibling': {
			return `a newer install directory appeared beside ${record.directory}: ${record.sibling}; if ejabberd now runs from there, point \`watch\` at it (or use watch: auto) and restart the daemon`;
		}
	}
}

/**
 * Each field's part of a batch's line, in line order, for every field
 * batch-fields.ts marks as shown on the line (the compiler holds the two
 * together); '' when it has nothing to say. Records from an older daemon
 * (tail) may lack the newer fields.
 */
const BATCH_LINE_PARTS: {readonly [K in LineField]: (record: BatchRecord) => string} = {
	event: () => 'batch',
	id: record => String(record.id),
	trigger: record => `(${record.trigger})`,
	retried: record => (record.retried ?? []).length === 0 ? '' : `retry of held-back ${record.retried.join(',')};`,
	updated: record => list('updated', record.updated),
	unchanged: record => list('unchanged', record.unchanged),
	notLoaded: record => list('notLoaded', record.notLoaded),
	// A cluster's per-member failures are told with their reasons on each member's line (nodeLines).
	failed: record => list('failed', record.failed.map(failure => record.nodes !== undefined && failure.node !== undefined ? `${failure.module} on ${failure.node}` : failedText(failure))),
	deferred: record => list('deferred', record.deferred),
	outOfReach: record => list('outOfReach', record.outOfReach),
	heldBack: record => list('heldBack', record.heldBack.map(module => holdersText(module, record.holders ?? []))),
	killed: record => list('killed', (record.killed ?? []).map(({module, processes}) => `${module}: ${processes.length} process(es)`)),
	unpurged: record => list('unpurged', (record.unpurged ?? []).map(({module, processes}) => `${module}: ${processes.map(describeProcess).join('; ')}`)),
	nodes: record => record.nodes === undefined ? '' : `nodes=[${Object.entries(record.nodes).map(([node, outcome]) => `${node} ${outcome.state === 'done' ? okText(outcome) : outcome.state}`).join(', ')}]`,
	durations: ({durations: d}) => `wait=${d.waitMs}ms${d.syncMs === undefined ? '' : ` sync=${d.syncMs}ms`} update_info=${d.updateInfoMs}ms update=${d.updateMs}ms verify=${d.verifyMs}ms total=${d.totalMs}ms`,
	hint: record => record.hint === undefined ? '' : `-- ${record.hint}`,
};

/** The parts that say what the batch did; none at all is `nothing to do`. */
const OUTCOME_PARTS = new Set<LineField>(['updated', 'unchanged', 'notLoaded', 'failed', 'deferred', 'outOfReach', 'heldBack', 'killed', 'unpurged', 'nodes']);

/** `batch 7 (watch) updated=[mod_a] ... wait=310ms ... total=815ms -- hint`: every part that has something to say, in order. */
function batchLine(record: BatchRecord): string {
	const parts: string[] = [];
	let outcome = false;
	for (const [field, render] of Object.entries(BATCH_LINE_PARTS) as [LineField, (record: BatchRecord) => string][]) {
		if (field === 'durations' && !outcome) {
			parts.push('nothing to do');
		}
		const part = render(record);
		if (part !== '') {
			parts.push(part);
			outcome ||= OUTCOME_PARTS.has(field);
		}
	}
	return parts.join(' ');
}

/**
 * What `tail` and the pretty log print after a record's own line, one line
 * each (the JSON log keeps one record per event): a cluster batch's outcome
 * on each member; a compile round's errors and warnings, as
 * `file:line:col: message`, where editors and terminals jump to them.
 */
export function detailLines(record: DaemonRecord): {readonly level: LogLevel; readonly text: string}[] {
	if (record.event === 'compile') {
		// Compiler output quotes the source: whatever bytes it holds, each stays one printable line.
		return record.diagnostics.map(diagnostic => ({level: diagnostic.severity === 'error' ? 'error' : 'warn', text: escapeUntrusted(formatDiagnostic(diagnostic), MAX_DIAGNOSTIC_LENGTH)}));
	}
	if (record.event !== 'batch' || record.nodes === undefined) {
		return [];
	}
	return Object.entries(record.nodes).map(([node, outcome]) => ({
		level: outcome.ok && (outcome.killed ?? []).length === 0 ? 'info' : 'warn',
		text: `batch ${record.id} ${node} ${nodeOutcomeText(outcome)}`,
	}));
}

function nodeOutcomeText(outcome: NodeOutcome): string {
	const parts = [
		list('updated', outcome.updated),
		list('unchanged', outcome.unchanged),
		list('notLoaded', outcome.notLoaded),
		list('failed', outcome.failed.map(failedText)),
		list('deferred', outcome.deferred),
		list('outOfReach', outcome.outOfReach),
		list('heldBack', outcome.heldBack),
		list('killed', (outcome.killed ?? []).map(({module, processes}) => `${module}: ${processes.length} process(es)`)),
		runningText(outcome),
	].filter(part => part !== '');
	const said = [...(outcome.reason === undefined ? [] : [outcome.reason]), ...(parts.length === 0 ? [] : [parts.join(' ')])];
	const state = outcome.state === 'done' ? `done, ${okText(outcome)}` : outcome.state;
	return `(${state})${said.length === 0 ? '' : `: ${said.join('; ')}`}`;
}

function okText(outcome: NodeOutcome): string {
	return outcome.ok ? 'ok' : 'NOT ok';
}

/** The code the member runs of each module; unknown, so absent, for an unreachable one. */
function runningText(outcome: NodeOutcome): string {
	const running = Object.entries(outcome.running ?? {});
	if (running.length === 0) {
		return '';
	}
	const label = outcome.state === 'done' ? 'md5' : 'still runs md5';
	return `${label} ${running.map(([module, md5]) => `${module}=${md5 === null ? 'not loaded' : shortMd5(md5)}`).join(' ')}`;
}

/** Enough of an MD5 to tell beams apart on a line; the records carry it whole. */
function shortMd5(md5: string): string {
	return md5.length > 8 ? `${md5.slice(0, 8)}…` : md5;
}

function nodeText(node: string, state: 'down' | 'up' | 'joined' | 'left', retry: string, reason: string | undefined): string {
	switch (state) {
		case 'down': {
			return `node ${node} unreachable${retry}: ${reason ?? ''}`;
		}
		case 'up': {
			return `node ${node} reachable again`;
		}
		case 'joined': {
			return `node ${node} joined the cluster; it is reconciled with the others`;
		}
		case 'left': {
			return `node ${node} left the cluster${reason === undefined ? '' : `: ${reason}`}; no longer reloaded`;
		}
	}
}

/**
 * `compile 4 ok: compiled mod_a (mod_a.erl saved); 412ms by erlc`, or
 * `compile 5 FAILED: did not compile mod_a (mod_a.erl saved): the node keeps
 * its last good beam, ... (1 error)`; the diagnostics follow on lines of
 * their own (detailLines).
 */
function compileLine(record: CompileRecord): string {
	const why = ({module, source, headers}: CompileRecord['modules'][number]) => `${module} (${headers === undefined ? `${basename(source)} saved` : `includes ${headers.map(basename).join(', ')}`})`;
	const compiled = record.modules.filter(({ok}) => ok);
	const failed = record.modules.filter(({ok}) => !ok);
	const errors = record.diagnostics.filter(({severity}) => severity === 'error').length;
	const warnings = record.diagnostics.length - errors;
	const parts = [
		compiled.length === 0 ? '' : `compiled ${compiled.map(why).join(', ')}`,
		failed.length === 0 ? '' : `did not compile ${failed.map(why).join(', ')}: the node keeps its last good beam, the next good save goes through`,
	].filter(part => part !== '');
	const counts = [errors === 0 ? '' : `${errors} error(s)`, warnings === 0 ? '' : `${warnings} warning(s)`].filter(part => part !== '');
	return `compile ${record.round} ${record.ok ? 'ok' : 'FAILED'}: ${parts.join('; ')}${counts.length === 0 ? '' : ` (${counts.join(', ')})`}; ${record.durationMs}ms by ${record.compiler}`;
}

function basename(file: string): string {
	return file.slice(file.lastIndexOf('/') + 1);
}

/** A failed module with its reason (and hint): every output says why. */
function failedText({module, reason, hint}: FailedModule): string {
	return `${module} (${reason}${hint === undefined ? '' : `; ${hint}`})`;
}

function holdersText(module: string, holders: readonly ModuleHolders[]): string {
	const processes = holders.find(entry => entry.module === module)?.processes ?? [];
	return processes.length === 0 ? module : `${module} (held by ${processes.map(describeProcess).join('; ')})`;
}

function versionsText(versions: NodeVersions | undefined): string {
	const parts = [versions?.ejabberd === undefined ? '' : `ejabberd ${versions.ejabberd}`, versions?.otp === undefined ? '' : `OTP ${versions.otp}`].filter(part => part !== '');
	return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function list(name: string, modules: readonly string[]): string {
	return modules.length === 0 ? '' : `${name}=[${modules.join(',')}]`;
}
