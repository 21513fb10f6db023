import test from 'ava';
import {toWatchError} from '../../../daemon/watcher/watch-error.ts';

function errno(code: string, path?: string): NodeJS.ErrnoException {
	return Object.assign(new Error(`${code}: failed`), {code, path});
}

const explains = test.macro({
	exec: (t, code: string, message: RegExp, hint: RegExp) => {
		const cause = errno(code, '/srv/ebin');
		const error = toWatchError(cause, '/srv');
		t.is(error.code, 'ERR_WATCH');
		t.regex(error.message, message);
		t.regex(error.message, /"\/srv\/ebin"/);
		t.regex(error.hint ?? '', hint);
		t.is(error.cause, cause);
		t.false(error.retryable);
	},
	title: (_, code) => `${code} is explained with what to do`,
});

test(explains, 'ENOSPC', /ran out of inotify watches/, /sudo sysctl fs\.inotify\.max_user_watches=524288/);
test(explains, 'EMFILE', /too many open files/, /ulimit -n 65536.*LimitNOFILE=65536/);
test(explains, 'ENFILE', /system ran out of file descriptors/, /fs\.file-max/);
test(explains, 'EACCES', /Permission denied/, /read and search permission/);
test(explains, 'EIO', /Watching "\/srv\/ebin" failed \(EIO\): EIO: failed/, /exist and are readable/);

test('an error without a path names the watched directory', t => {
	t.regex(toWatchError(errno('EMFILE'), '/srv/ebin').message, /"\/srv\/ebin"/);
});

test('anything thrown, even no Error at all, becomes an ERR_WATCH', t => {
	t.regex(toWatchError('boom', '/srv/ebin').message, /Watching "\/srv\/ebin" failed: boom/);
	t.regex(toWatchError(undefined, '/srv/ebin').message, /failed: undefined/);
});
