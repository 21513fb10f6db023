import test from 'ava';
import {eventsUrl} from '../../../daemon/cli/tail/events-url.ts';
import {ReloaderError} from '../../../daemon/errors.ts';

const good: ReadonlyArray<[string, string]> = [
	['http://127.0.0.1:5290', 'http://127.0.0.1:5290/events'],
	['http://127.0.0.1:5290/', 'http://127.0.0.1:5290/events'],
	['https://reloader.example/api/', 'https://reloader.example/api/events'],
	['http://[::1]:5290?x=1#y', 'http://[::1]:5290/events'],
];
for (const [base, expected] of good) {
	test(`--url ${base} follows ${expected}`, t => {
		t.is(eventsUrl(base).href, expected);
	});
}

const bad: ReadonlyArray<[string, RegExp]> = [
	['127.0.0.1:5290', /is not a URL/],
	['localhost:5290', /uses localhost:, expected http: or https:/],
	['not a url', /`"not a url"` \(string\) is not a URL/],
	['ftp://host', /uses ftp:/],
	['http://user:secret@host:5290', /holds credentials/],
];
for (const [base, message] of bad) {
	test(`--url ${base} is refused, saying why`, t => {
		const error = t.throws(() => eventsUrl(base), {instanceOf: ReloaderError, message});
		t.is(error?.code, 'ERR_CONFIG_INVALID');
		t.false(error?.message.includes('secret'));
	});
}
