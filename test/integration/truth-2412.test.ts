import test from 'ava';
import {defineTruthSuite} from '../support/truth-suite.ts';

// ejabberd 24.12 (OTP 27) in a chroot: the node sees its directories at other paths, mapped with `paths` over dist.
defineTruthSuite(test, {ejabberd: '24.12'});
