import test from 'ava';
import {defineReconnectSuite} from '../support/reconnect-suite.ts';

// ejabberd 24.12 (OTP 27) in a chroot: outages over its chrooted ejabberdctl.
defineReconnectSuite(test, node => ({transport: 'ctl', node: node.node, ctl: {command: [...node.ctlCommand]}}), {ejabberd: '24.12'});
