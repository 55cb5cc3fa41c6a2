/**
 * Imported first: uPlot formats numbers with `Intl.NumberFormat(navigator.language)` when it loads,
 * and a browser started under the C/POSIX locale reports a language tag Intl refuses
 * (`en-US@posix`), which would stop the whole script. Such a browser is given `en-US` instead.
 */
try {
  new Intl.NumberFormat(navigator.language);
} catch {
  Object.defineProperty(Navigator.prototype, 'language', { configurable: true, get: () => 'en-US' });
}

export {};
