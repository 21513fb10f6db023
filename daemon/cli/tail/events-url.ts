import {ReloaderError, describeValue} from '../../errors.ts';

/** `<url>/events` of the daemon's API base URL, e.g. `http://127.0.0.1:5290` → `http://127.0.0.1:5290/events`. */
export function eventsUrl(base: string): URL {
	let url: URL;
	try {
		url = new URL(base);
	} catch (error) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `--url: ${describeValue(base)} is not a URL`, {
			cause: error,
			hint: 'Give the daemon\'s API address, e.g. --url http://127.0.0.1:5290 (its api.listen).',
		});
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new ReloaderError('ERR_CONFIG_INVALID', `--url: ${describeValue(base)} uses ${url.protocol}, expected http: or https:`, {
			hint: 'Give the daemon\'s API address, e.g. --url http://127.0.0.1:5290 (its api.listen).',
		});
	}
	if (url.username !== '' || url.password !== '') {
		throw new ReloaderError('ERR_CONFIG_INVALID', `--url: \`${url.protocol}//***@${url.host}${url.pathname}\` holds credentials`, {
			hint: 'The API takes a bearer token: put it in a file and pass --token-file FILE.',
		});
	}
	url.pathname = `${url.pathname.replace(/\/+$/, '')}/events`;
	url.search = '';
	url.hash = '';
	return url;
}
