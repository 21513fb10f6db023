import test from 'ava';
import {defineReloadSuite} from '../support/reload-suite.ts';

defineReloadSuite(test, node => ({transport: 'dist', node: node.node, cookieFile: node.cookieFile}));
