import test from 'ava';
import {defineReloadSuite} from '../support/reload-suite.ts';

defineReloadSuite(test, node => ({transport: 'http', node: node.node, http: {url: `http://127.0.0.1:${node.ports.http}/api`}}));
