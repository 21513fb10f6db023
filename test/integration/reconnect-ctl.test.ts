import test from 'ava';
import {defineReconnectSuite} from '../support/reconnect-suite.ts';

defineReconnectSuite(test, node => ({transport: 'ctl', node: node.node, ctl: {command: [...node.ctlCommand]}}));
