/**
 * `npm run dev`, first line after npm's own header: where the chat page will be, before the stack,
 * the migrations and the server fill the terminal (or why the config does not load).
 */
import { loadConfig } from '../src/config';
import { devBannerLine } from './dev-banner-line';

console.log(devBannerLine(loadConfig()));
