/**
 * Runs a range of the simulation's seeds and prints what they did as one
 * line of JSON (the mutation check runs it in a mutated copy of the tree):
 * `node --import=tsx test/unit/simulation/run-seeds.ts FROM TO`.
 */
import {runSeeds, seedRange} from './_run-many.ts';

const [from, to] = process.argv.slice(2).map(Number);
if (from === undefined || to === undefined || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) {
	process.stderr.write(`Expected two seeds FROM TO (integers, FROM <= TO), got ${JSON.stringify(process.argv.slice(2))}\n`);
	process.exit(2);
}
const summary = await runSeeds(seedRange(from, to));
process.stdout.write(`${JSON.stringify(summary)}\n`);
