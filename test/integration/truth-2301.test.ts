import test from 'ava';
import {defineTruthSuite} from '../support/truth-suite.ts';

// ejabberd 23.01 (OTP 25), the system's install.
defineTruthSuite(test, {ejabberd: '23.01'});
