import {
  aliasConflict,
  aliasProblem,
  modelNameProblem
} from '../../models/names';

describe('model and alias names', () => {
  it('accepts the names the server accepts', () => {
    for (const name of ['churn', 'Churn-2.1_x', '9lives', 'a'.repeat(128)]) {
      expect(modelNameProblem(name)).toBeNull();
    }
  });

  it('says what is wrong with a model name', () => {
    expect(modelNameProblem('')).toMatch(/Give the model a name/);
    expect(modelNameProblem('.hidden')).toMatch(
      /starts with a letter or digit/
    );
    expect(modelNameProblem('a b')).toMatch(/letters, digits/);
    expect(modelNameProblem('a/b')).toMatch(/letters, digits/);
    expect(modelNameProblem('a'.repeat(129))).toMatch(/at most 128/);
  });

  it('checks aliases', () => {
    expect(aliasProblem('champion')).toBeNull();
    expect(aliasProblem('a-b_2')).toBeNull();
    expect(aliasProblem('Champion')).toMatch(/lowercase/);
    expect(aliasProblem('2nd')).toMatch(/lowercase letter/);
    expect(aliasProblem('')).toMatch(/Name the alias/);
    expect(aliasProblem('a'.repeat(65))).toMatch(/at most 64/);
  });
});

describe('aliasConflict', () => {
  it('tells a move that came meanwhile', () => {
    const c = aliasConflict(
      'churn@staging moved meanwhile: it is now version 3, not version 2'
    );
    expect(c.kind).toBe('moved');
    expect(c.text).toMatch(/^churn@staging moved meanwhile.*look again/);
  });

  it('points a protected alias to Promote', () => {
    const c = aliasConflict(
      'churn@champion is protected by the model’s policy: it moves only by promotion (mlops-jupyter models promote churn VERSION --alias champion) or rollback'
    );
    expect(c.kind).toBe('protected');
    expect(c.text).toMatch(/Use Promote/);
  });

  it('says when there is nothing to roll back to', () => {
    const c = aliasConflict(
      'nothing to roll back to: churn@staging was only ever version 1'
    );
    expect(c.kind).toBe('nothing');
    expect(c.text).toBe(
      'Nothing to roll back to: churn@staging was only ever version 1: there is no earlier holder to go back to.'
    );
  });

  it('keeps any other message', () => {
    expect(aliasConflict('something else')).toEqual({
      kind: 'other',
      text: 'something else'
    });
  });
});
