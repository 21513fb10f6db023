import test from 'ava';
import {defineNodeCompilerSuite} from '../support/node-compiler-suite.ts';

// ejabberd 23.01 (OTP 25) from Debian 12: the node sees the daemon's paths.
defineNodeCompilerSuite(test);
