import test from 'ava';
import {defineReconnectSuite} from '../support/reconnect-suite.ts';

defineReconnectSuite(test, node => ({transport: 'http', node: node.node, http: {url: `http://127.0.0.1:${node.ports.http}/api`}}));
