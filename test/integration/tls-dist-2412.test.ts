import test from 'ava';
import {defineTlsSuite} from '../support/tls-suite.ts';

// ejabberd 24.12 (OTP 27) in a chroot with TLS distribution: the same as 23.01's.
defineTlsSuite(test, '24.12');
