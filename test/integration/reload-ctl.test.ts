import test from 'ava';
import {defineReloadSuite} from '../support/reload-suite.ts';

defineReloadSuite(test, node => ({transport: 'ctl', node: node.node, ctl: {command: [...node.ctlCommand]}}));
