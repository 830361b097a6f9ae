/**
 * Names of models and aliases, and what a refused alias move means. Plain module (jest-tested):
 * the rules mirror `mlops_jupyter/store/lifecycle.py` so a dialog says what is wrong before
 * anything is sent.
 */

/** A model name: letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
export const MODEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** An alias: a lowercase letter, then lowercase letters, digits, `_` or `-`. */
export const ALIAS_RE = /^[a-z][a-z0-9_-]*$/;

/** Why a model name is refused, or null when it is fine. */
export function modelNameProblem(name: string): string | null {
  if (name.length === 0) {
    return 'Give the model a name.';
  }
  if (name.length > 128) {
    return 'A model name has at most 128 characters.';
  }
  if (!MODEL_NAME_RE.test(name)) {
    return "A model name holds letters, digits, '.', '_' or '-' and starts with a letter or digit.";
  }
  return null;
}

/** Why an alias is refused, or null when it is fine. */
export function aliasProblem(alias: string): string | null {
  if (alias.length === 0) {
    return 'Name the alias (e.g. champion).';
  }
  if (alias.length > 64) {
    return 'An alias has at most 64 characters.';
  }
  if (!ALIAS_RE.test(alias)) {
    return "An alias is a lowercase letter, then lowercase letters, digits, '_' or '-'.";
  }
  return null;
}

/** What a 409 on an alias move or rollback means for the user. */
export type AliasConflictKind =
  /** The alias moved since the page showed it: refresh and look again. */
  | 'moved'
  /** A policy protects the alias: it moves by Promote. */
  | 'protected'
  /** Rollback: the alias never pointed elsewhere. */
  | 'nothing'
  | 'other';

/** A refused alias change in words, and what to do. */
export interface IAliasConflict {
  readonly kind: AliasConflictKind;
  /** The server's message, then what to do about it. */
  readonly text: string;
}

/** Classify the server's message of a 409 on `PUT aliases/{alias}` or `.../rollback`. */
export function aliasConflict(message: string): IAliasConflict {
  if (/moved meanwhile|set meanwhile/.test(message)) {
    return {
      kind: 'moved',
      text: `${message}. Someone moved it after this page was loaded: the page now shows where it is; look again before moving it.`
    };
  }
  if (/protected/.test(message)) {
    return {
      kind: 'protected',
      text: `${message}. Use Promote on the version instead: it checks the gate and the approvals the policy asks for.`
    };
  }
  if (/nothing to roll back to/.test(message)) {
    return {
      kind: 'nothing',
      text: `${capitalize(message)}: there is no earlier holder to go back to.`
    };
  }
  return { kind: 'other', text: message };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
