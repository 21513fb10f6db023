import test from 'ava';
import {defineReloadSuite} from '../support/reload-suite.ts';

// ejabberd 24.12 (OTP 27) in a chroot, driven by its own ejabberdctl (chroot ROOT ejabberdctl ...).
defineReloadSuite(test, node => ({transport: 'ctl', node: node.node, ctl: {command: [...node.ctlCommand]}}), {ejabberd: '24.12'});
