/**
 * Forms in JupyterLab dialogs (`showDialog`): a React body whose value the dialog returns, a
 * live message saying what is wrong, and the dialog shown again with that message when it is
 * accepted anyway. Required fields carry `required`: JupyterLab's dialog disables its accept
 * button while one is empty (checked as the user types).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

/** What a form component gets: its first value, where to report changes, the last problem. */
export interface IFormProps<T> {
  readonly initial: T;
  readonly onChange: (value: T) => void;
  /** Why the dialog was shown again (the value accepted was refused), or null. */
  readonly error: string | null;
}

/** The dialog body: renders a form component and keeps the value it reports. */
class FormBody<T> extends ReactWidget implements Dialog.IBodyWidget<T> {
  constructor(
    private _value: T,
    private readonly _form: (props: IFormProps<T>) => JSX.Element,
    private readonly _error: string | null
  ) {
    super();
    this.addClass('jp-mlops-form');
  }

  getValue(): T {
    return this._value;
  }

  protected render(): JSX.Element {
    const Form = this._form;
    return (
      <Form
        initial={this._value}
        error={this._error}
        onChange={value => {
          this._value = value;
        }}
      />
    );
  }
}

export interface IShowFormOptions<T> {
  readonly title: string;
  /** The accept button's label (`Move`, `Roll back`, `Register`, ...). */
  readonly okLabel: string;
  /** A destructive action: the accept button is styled as a warning. */
  readonly warn?: boolean;
  readonly initial: T;
  readonly form: (props: IFormProps<T>) => JSX.Element;
  /** Why a value cannot be accepted, or null. */
  readonly problem: (value: T) => string | null;
}

/** Show a form until it is cancelled (null) or accepted with a value that has no problem. */
export async function showForm<T>(
  options: IShowFormOptions<T>
): Promise<T | null> {
  let value = options.initial;
  let error: string | null = null;
  for (;;) {
    const result = await showDialog<T>({
      title: options.title,
      body: new FormBody<T>(value, options.form, error),
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({
          label: options.okLabel,
          displayType: options.warn ? 'warn' : 'default'
        })
      ],
      focusNodeSelector: 'input:not([type="checkbox"]), textarea'
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    value = result.value;
    error = options.problem(value);
    if (error === null) {
      return value;
    }
  }
}

/** A problem message under a field, announced. */
export function FieldProblem(props: {
  readonly id: string;
  readonly problem: string | null;
}): JSX.Element | null {
  return props.problem ? (
    <div id={props.id} className="jp-mlops-form-problem" role="alert">
      {props.problem}
    </div>
  ) : null;
}

export interface ITextOptions {
  readonly title: string;
  readonly okLabel: string;
  readonly warn?: boolean;
  /** The field's label (`Reason`, `Comment`). */
  readonly label: string;
  /** Text above the field saying what will happen. */
  readonly hint?: string;
  readonly required?: boolean;
  readonly placeholder?: string;
}

/** Ask for one text (a reason, a comment): null when cancelled. */
export function askText(options: ITextOptions): Promise<string | null> {
  const problem = (value: string) =>
    options.required && !value.trim()
      ? `${options.label} is required: the log keeps it.`
      : null;
  return showForm<string>({
    title: options.title,
    okLabel: options.okLabel,
    warn: options.warn,
    initial: '',
    problem,
    form: props => <TextForm {...props} options={options} problem={problem} />
  }).then(value => (value === null ? null : value.trim()));
}

function TextForm(
  props: IFormProps<string> & {
    readonly options: ITextOptions;
    readonly problem: (value: string) => string | null;
  }
): JSX.Element {
  const { options, onChange } = props;
  const [value, setValue] = React.useState(props.initial);
  const [touched, setTouched] = React.useState(false);
  const problem = touched ? props.problem(value) : props.error;
  return (
    <div className="jp-mlops-form-fields">
      {options.hint && <p className="jp-mlops-form-hint">{options.hint}</p>}
      <label className="jp-mlops-field">
        <span>{`${options.label}${options.required ? '' : ' (optional)'}`}</span>
        <textarea
          className="jp-mod-styled"
          rows={3}
          value={value}
          placeholder={options.placeholder}
          required={options.required}
          aria-invalid={problem !== null}
          aria-describedby={problem ? 'jp-mlops-text-problem' : undefined}
          onChange={event => {
            setValue(event.target.value);
            setTouched(true);
            onChange(event.target.value);
          }}
        />
      </label>
      <FieldProblem id="jp-mlops-text-problem" problem={problem} />
    </div>
  );
}
