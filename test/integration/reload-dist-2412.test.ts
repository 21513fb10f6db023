import test from 'ava';
import {defineReloadSuite} from '../support/reload-suite.ts';

// ejabberd 24.12 (OTP 27) in a chroot: the node sees its ebin at another path, mapped with `paths`.
defineReloadSuite(test, node => ({transport: 'dist', node: node.node, cookieFile: node.cookieFile, paths: [{local: node.hostEbinDir, node: node.nodeEbinDir}]}), {ejabberd: '24.12'});
