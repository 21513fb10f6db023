export {DEFAULT_SHOWN_BYTES, DEFAULT_SHOWN_LENGTH, describeBytes, escapeUntrusted, quoteUntrusted} from './quote-untrusted.ts';
