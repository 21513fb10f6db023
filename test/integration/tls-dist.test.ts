import test from 'ava';
import {defineTlsSuite} from '../support/tls-suite.ts';

// ejabberd 23.01 (OTP 25) with TLS distribution: reload over dist.tls, and each certificate mismatch named.
defineTlsSuite(test, '23.01');
