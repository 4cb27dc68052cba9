// How the commands print what they read from a fleet: a name from a fleet file never moves the
// cursor or fakes a line in a terminal, and counts read as English. Pure.

/** The text with every control character (C0, DEL, C1) shown as `?`. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** `1 file`, `2 files`. */
export function plural(amount: number, noun: string): string {
  return `${amount} ${noun}${amount === 1 ? '' : 's'}`;
}
