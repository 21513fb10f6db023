import test from 'ava';
import {DistError} from '../../../../daemon/lib/erlang-dist/index.ts';
import {CLIENT_FLAGS, DFLAG, describeFlags} from '../../../../daemon/lib/erlang-dist/flags.ts';
import {computeDigest, encodeChallengeReply, encodeNameMessage, parseChallenge, parseChallengeAck, parseStatus} from '../../../../daemon/lib/erlang-dist/handshake.ts';

const NODE = 'ej@localhost';

test('the digest is md5(cookie ++ decimal(challenge)), as erlang:md5 computes it', t => {
	// erl: binary:encode_hex(erlang:md5("secret" ++ integer_to_list(12345)))
	t.is(computeDigest(Buffer.from('secret'), 12_345).toString('hex').toUpperCase(), 'D4047D3E56E6D6D63F7D16B85CD2FA88');
	t.is(computeDigest(Buffer.from('secret'), 0xffff_ffff).toString('hex').toUpperCase(), '5DFD181E69AA587CC812EB333E6536B6');
});

test('the flags we send: the documented working set, hidden, no atom cache, no fragments', t => {
	t.is(CLIENT_FLAGS, 0x4_0707_4f9cn);
	t.is(CLIENT_FLAGS & DFLAG.PUBLISHED, 0n);
	t.is(CLIENT_FLAGS & (DFLAG.ATOM_CACHE | DFLAG.DIST_HDR_ATOM_CACHE | DFLAG.FRAGMENTS), 0n);
	t.deepEqual(describeFlags(CLIENT_FLAGS), [
		'EXTENDED_REFERENCES', 'DIST_MONITOR', 'FUN_TAGS', 'NEW_FUN_TAGS', 'EXTENDED_PIDS_PORTS', 'EXPORT_PTR_TAG', 'BIT_BINARIES', 'NEW_FLOATS',
		'SMALL_ATOM_TAGS', 'UTF8_ATOMS', 'MAP_TAG', 'BIG_CREATION', 'HANDSHAKE_23', 'UNLINK_ID', 'MANDATORY_25_DIGEST', 'V4_NC',
	]);
	t.deepEqual(describeFlags(1n << 40n), ['bit 40']);
});

test('send_name: u16 len, \'N\', u64 flags, u32 creation, u16 nlen, name', t => {
	const packet = encodeNameMessage({flags: 0x4_0707_4f9cn, creation: 0x0102_0304, name: 'a@b'});
	t.is(packet.toString('hex'), [
		'0012', // 18 bytes follow
		'4e', '000000040707' + '4f9c', '01020304', '0003', Buffer.from('a@b').toString('hex'),
	].join(''));
});

test('challenge reply: u16 len, \'r\', u32 challenge, 16-byte digest', t => {
	const digest = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
	t.is(encodeChallengeReply(0xdead_beef, digest).toString('hex'), `0015` + `72` + `deadbeef` + digest.toString('hex'));
	t.throws(() => encodeChallengeReply(1, Buffer.alloc(15)), {instanceOf: RangeError});
});

test('status: \'s\' + the status text', t => {
	t.is(parseStatus(Buffer.from('sok'), NODE), 'ok');
	t.is(parseStatus(Buffer.from('sok_simultaneous'), NODE), 'ok_simultaneous');
	t.is(parseStatus(Buffer.from('snot_allowed'), NODE), 'not_allowed');
	const error = t.throws(() => parseStatus(Buffer.from('Xok'), NODE), {instanceOf: DistError});
	t.is(error?.code, 'ERR_DIST_PROTOCOL');
	t.regex(error?.message ?? '', /Malformed handshake status from ej@localhost: tag 88 \(\d+ bytes?: 58/);
	t.throws(() => parseStatus(Buffer.alloc(0), NODE), {message: /an empty packet/});
});

const challengeBytes = (name: string, nameLength = Buffer.byteLength(name)): Buffer => Buffer.concat([
	Buffer.from('4e' + '0000000d07df7fbd' + 'cafebabe' + '6b04c0fd', 'hex'),
	Buffer.from([nameLength >> 8, nameLength & 0xff]),
	Buffer.from(name),
]);

test('challenge: \'N\', u64 flags, u32 challenge, u32 creation, u16 nlen, name', t => {
	t.deepEqual(parseChallenge(challengeBytes(NODE), NODE), {flags: 0xd_07df_7fbdn, challenge: 0xcafe_babe, creation: 0x6b04_c0fd, name: NODE});
});

test('a short or inconsistent challenge is a protocol error; an old \'n\' one a handshake error', t => {
	t.throws(() => parseChallenge(challengeBytes(NODE).subarray(0, 18), NODE), {code: 'ERR_DIST_PROTOCOL', message: /18 bytes, shorter than its 19-byte header/});
	t.throws(() => parseChallenge(challengeBytes(NODE, 99), NODE), {code: 'ERR_DIST_PROTOCOL', message: /name length 99 means 118/});
	t.throws(() => parseChallenge(Buffer.concat([challengeBytes(NODE), Buffer.from([0])]), NODE), {code: 'ERR_DIST_PROTOCOL'});
	t.throws(() => parseChallenge(Buffer.from('n\u0000\u0005'), NODE), {code: 'ERR_DIST_HANDSHAKE', message: /pre-OTP 23/});
});

test('challenge ack: \'a\' + 16 bytes', t => {
	const digest = Buffer.alloc(16, 7);
	t.deepEqual(parseChallengeAck(Buffer.concat([Buffer.from('a'), digest]), NODE), digest);
	t.throws(() => parseChallengeAck(Buffer.concat([Buffer.from('a'), digest.subarray(1)]), NODE), {code: 'ERR_DIST_PROTOCOL', message: /16 bytes, not 17/});
	t.throws(() => parseChallengeAck(Buffer.concat([Buffer.from('r'), digest]), NODE), {code: 'ERR_DIST_PROTOCOL'});
});
