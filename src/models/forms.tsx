/**
 * The lifecycle's dialogs: register a version from a run's artifacts, and move an alias. Each
 * is a form in a JupyterLab dialog (`showForm`), checked as the user types.
 */
import React from 'react';

import { FieldProblem, IFormProps, showForm } from '../components/dialogs';
import { formatBytes } from '../format';
import { Mlops } from '../types';
import { aliasProblem, modelNameProblem } from './names';

/** What the register dialog returns. */
export interface IRegisterValue {
  readonly name: string;
  /** Paths of the run's artifacts chosen. */
  readonly artifacts: string[];
  readonly description: string;
}

/** Why a registration cannot be sent, or null. */
export function registerProblem(value: IRegisterValue): string | null {
  return (
    modelNameProblem(value.name.trim()) ??
    (value.artifacts.length === 0
      ? "Choose at least one of the run's artifacts: they are the model's files."
      : null)
  );
}

/** A model name the run suggests: its name when it is a valid model name, else ''. */
export function suggestedName(run: Mlops.IRun): string {
  const name = (run.name ?? '').trim().replace(/\s+/g, '-');
  return modelNameProblem(name) === null ? name : '';
}

function RegisterForm(
  props: IFormProps<IRegisterValue> & {
    readonly run: Mlops.IRun;
    readonly models: ReadonlyArray<Mlops.IModelSummary>;
  }
): JSX.Element {
  const { run, models, onChange } = props;
  const [value, setValue] = React.useState(props.initial);
  const [touched, setTouched] = React.useState(false);
  const update = (patch: Partial<IRegisterValue>) => {
    const next = { ...value, ...patch };
    setValue(next);
    setTouched(true);
    onChange(next);
  };
  const nameProblem = modelNameProblem(value.name.trim());
  const problem = touched ? registerProblem(value) : props.error;
  const existing = models.find(m => m.name === value.name.trim());
  return (
    <div className="jp-mlops-form-fields">
      <label className="jp-mlops-field">
        <span>Model name</span>
        <input
          className="jp-mod-styled"
          value={value.name}
          list="jp-mlops-model-names"
          required
          pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,127}"
          aria-invalid={nameProblem !== null}
          onChange={e => update({ name: e.target.value })}
        />
        <datalist id="jp-mlops-model-names">
          {models.map(m => (
            <option key={m.name} value={m.name} />
          ))}
        </datalist>
      </label>
      <div className="jp-mlops-form-hint" aria-live="polite">
        {nameProblem
          ? ''
          : existing
            ? `Adds version ${(existing.latest ?? 0) + 1} to ${existing.name} (${existing.versions} version(s) so far).`
            : `Creates the model ${value.name.trim()} with its version 1.`}
      </div>
      <fieldset className="jp-mlops-field">
        <legend>{`Files: the run's artifacts (${run.artifacts.length})`}</legend>
        {run.artifacts.map(artifact => (
          <label key={artifact.path} className="jp-mlops-check">
            <input
              type="checkbox"
              checked={value.artifacts.includes(artifact.path)}
              onChange={e =>
                update({
                  artifacts: e.target.checked
                    ? [...value.artifacts, artifact.path]
                    : value.artifacts.filter(p => p !== artifact.path)
                })
              }
            />
            <span>{artifact.path}</span>
            <span className="jp-mlops-muted">{formatBytes(artifact.size)}</span>
          </label>
        ))}
      </fieldset>
      <label className="jp-mlops-field">
        <span>Description (optional)</span>
        <textarea
          className="jp-mod-styled"
          rows={2}
          value={value.description}
          onChange={e => update({ description: e.target.value })}
        />
      </label>
      <FieldProblem id="jp-mlops-register-problem" problem={problem} />
    </div>
  );
}

/** Ask which model, files and description a run's version gets (null: cancelled). */
export function askRegistration(
  run: Mlops.IRun,
  models: ReadonlyArray<Mlops.IModelSummary>,
  label: string
): Promise<IRegisterValue | null> {
  return showForm<IRegisterValue>({
    title: `Register a model version from run ${label}`,
    okLabel: 'Register',
    initial: {
      name: suggestedName(run),
      artifacts: run.artifacts.map(a => a.path),
      description: ''
    },
    problem: registerProblem,
    form: props => <RegisterForm {...props} run={run} models={models} />
  }).then(value => (value ? { ...value, name: value.name.trim() } : null));
}

/** What the move-alias dialog returns. */
export interface IMoveValue {
  readonly alias: string;
  readonly reason: string;
}

/** Why a move cannot be sent, or null. */
export function moveProblem(value: IMoveValue): string | null {
  return (
    aliasProblem(value.alias.trim()) ??
    (value.reason.trim()
      ? null
      : 'Give a reason: the alias’s history says why it moved.')
  );
}

/** Where an alias is and what moving it does, in words. */
export function moveHint(
  alias: string,
  version: number,
  aliases: { readonly [alias: string]: number },
  policy: Mlops.IPolicy | null
): string {
  if (aliasProblem(alias) !== null) {
    return '';
  }
  const holder = aliases[alias];
  const rules = policy?.aliases[alias];
  const where =
    holder === undefined
      ? `@${alias} is new: it will point at v${version}.`
      : holder === version
        ? `@${alias} already points at v${version}.`
        : `@${alias} moves from v${holder} to v${version}.`;
  return rules?.protected
    ? `${where} The policy protects @${alias}: it moves only by Promote.`
    : where;
}

function MoveForm(
  props: IFormProps<IMoveValue> & {
    readonly version: number;
    readonly aliases: { readonly [alias: string]: number };
    readonly policy: Mlops.IPolicy | null;
  }
): JSX.Element {
  const { version, aliases, policy, onChange } = props;
  const [value, setValue] = React.useState(props.initial);
  const [touched, setTouched] = React.useState(false);
  const update = (patch: Partial<IMoveValue>) => {
    const next = { ...value, ...patch };
    setValue(next);
    setTouched(true);
    onChange(next);
  };
  const problem = touched ? moveProblem(value) : props.error;
  const names = [
    ...new Set([
      ...Object.keys(aliases),
      ...Object.keys(policy?.aliases ?? {}),
      'champion',
      'challenger'
    ])
  ].sort();
  return (
    <div className="jp-mlops-form-fields">
      <label className="jp-mlops-field">
        <span>Alias</span>
        <input
          className="jp-mod-styled"
          value={value.alias}
          list="jp-mlops-alias-names"
          required
          pattern="[a-z][a-z0-9_\-]{0,63}"
          onChange={e => update({ alias: e.target.value })}
        />
        <datalist id="jp-mlops-alias-names">
          {names.map(n => (
            <option key={n} value={n} />
          ))}
        </datalist>
      </label>
      <div className="jp-mlops-form-hint" aria-live="polite">
        {moveHint(value.alias.trim(), version, aliases, policy)}
      </div>
      <label className="jp-mlops-field">
        <span>Reason</span>
        <textarea
          className="jp-mod-styled"
          rows={3}
          value={value.reason}
          required
          onChange={e => update({ reason: e.target.value })}
        />
      </label>
      <FieldProblem id="jp-mlops-move-problem" problem={problem} />
    </div>
  );
}

/** Ask which alias to point at `version`, and why (null: cancelled). */
export function askMove(options: {
  readonly name: string;
  readonly version: number;
  readonly alias: string;
  readonly aliases: { readonly [alias: string]: number };
  readonly policy: Mlops.IPolicy | null;
}): Promise<IMoveValue | null> {
  const { name, version, aliases, policy } = options;
  return showForm<IMoveValue>({
    title: `Point an alias of ${name} at v${version}`,
    okLabel: 'Move alias',
    initial: { alias: options.alias, reason: '' },
    problem: moveProblem,
    form: props => (
      <MoveForm
        {...props}
        version={version}
        aliases={aliases}
        policy={policy}
      />
    )
  }).then(value =>
    value ? { alias: value.alias.trim(), reason: value.reason.trim() } : null
  );
}
