// The stdout layout of `vector validate` (the Formatter in src/validate.rs): `√`/`~`/`x` lines, titles
// underlined with dashes and preceded by a blank line once something was printed, and a closing rule as
// wide as the widest line followed by a right-aligned "Validated".
import { io } from './io.mjs';

const ANSI = /\x1b\[[0-9;]*m/g;

/** Prints validate's result lines to stdout (io.mjs); `color` adds ANSI colours to the symbols. */
export class Formatter {
  constructor(color) {
    this.color = color;
    this.width = 0;
    this.printedSomething = false;
  }

  /** A `√ <message>` line. */
  success(message) {
    this.print(`${this.paint('√', 32)} ${message}\n`);
  }

  /** A `~ <message>` line. */
  warning(message) {
    this.print(`${this.paint('~', 33)} ${message}\n`);
  }

  /** An `x <message>` line. */
  error(message) {
    this.print(`${this.paint('x', 31)} ${message}\n`);
  }

  /** A title with a dashed underline of the same length. */
  title(text) {
    if (this.printedSomething) io().stdout.write('\n');
    this.print(`${text}\n${'-'.repeat(text.length)}\n`);
  }

  /** The closing rule and the right-aligned "Validated". */
  validated() {
    const word = this.color ? this.paint('Validated', 32) : 'Validated';
    io().stdout.write(`${'-'.repeat(this.width)}\n${word.padStart(this.width + (word.length - 9))}\n`);
  }

  paint(text, code) {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  print(text) {
    for (const line of text.split('\n'))
      this.width = Math.max(this.width, [...line.replace(ANSI, '')].length);
    this.printedSomething = true;
    io().stdout.write(text);
  }
}
