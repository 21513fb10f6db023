import test from 'ava';
import {defineNodeCompilerSuite} from '../support/node-compiler-suite.ts';

// ejabberd 24.12 (OTP 27) chrooted in the Debian 13 root: this host's OTP 25
// erlc cannot load its parse transforms, and it sees the sources at another
// path, mapped with `paths`.
defineNodeCompilerSuite(test, {ejabberd: '24.12'});
