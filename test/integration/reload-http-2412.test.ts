import test from 'ava';
import {defineReloadSuite} from '../support/reload-suite.ts';

// ejabberd 24.12 (OTP 27) in a chroot, through mod_http_api; `localhost` is its vhost, so 24.12 logs no warning per request.
defineReloadSuite(test, node => ({transport: 'http', node: node.node, http: {url: `http://localhost:${node.ports.http}/api`}}), {ejabberd: '24.12'});
