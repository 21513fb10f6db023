import test from 'ava';
import {defineReconnectSuite} from '../support/reconnect-suite.ts';

// ejabberd 24.12 (OTP 27) in a chroot: outages over dist, with the node's paths mapped.
defineReconnectSuite(test, node => ({transport: 'dist', node: node.node, cookieFile: node.cookieFile, paths: [{local: node.hostEbinDir, node: node.nodeEbinDir}]}), {ejabberd: '24.12'});
