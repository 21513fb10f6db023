import test from 'ava';
import {defineReconnectSuite} from '../support/reconnect-suite.ts';

// ejabberd 24.12 (OTP 27) in a chroot: outages behind mod_http_api.
defineReconnectSuite(test, node => ({transport: 'http', node: node.node, http: {url: `http://localhost:${node.ports.http}/api`}}), {ejabberd: '24.12'});
