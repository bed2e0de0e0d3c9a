// `zkplan` as a process, run from the sources (node --import tsx), for what only a real process shows.
import { main } from '../../../src/cli/main.js';

await main();
