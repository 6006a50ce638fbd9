/** Stand-alone `phone ...` command of the phone EMULATION (the lab's `npm run lab -- phone ...` calls the same). */
import { phoneCommand } from './lab.js';

process.exitCode = await phoneCommand(process.argv.slice(2));
