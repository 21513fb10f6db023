import test from 'ava';
import {defineReconnectSuite} from '../support/reconnect-suite.ts';

defineReconnectSuite(test, node => ({transport: 'dist', node: node.node, cookieFile: node.cookieFile}));
