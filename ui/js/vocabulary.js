// The closed lists of values (regimes, kinds, violations…) come from the
// library, so the forms offer exactly what it accepts. Loaded once at start.
import { call } from './api.js';

let lists = null;

export async function loadVocabulary() {
  lists = await call('vocabulary');
}

export function vocab() {
  if (!lists) throw new Error('vocabulary not loaded');
  return lists;
}
