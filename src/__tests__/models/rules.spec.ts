import {
  describeRule,
  parseRule,
  parseRules,
  ruleText,
  rulesText
} from '../../models/rules';

describe('gate rules as text', () => {
  it('parses the CLI form', () => {
    expect(parseRule('auc:higher,min=0.8,abs=0.01').rule).toEqual({
      metric: 'auc',
      greater_is_better: true,
      min: 0.8,
      min_absolute_change: 0.01
    });
    expect(parseRule(' rmse : lower , max=3.5, rel=5% ').rule).toEqual({
      metric: 'rmse',
      greater_is_better: false,
      max: 3.5,
      min_relative_change: 0.05
    });
    expect(parseRule('acc').rule).toEqual({
      metric: 'acc',
      greater_is_better: true
    });
    expect(parseRule('f1,stat=f1_score,min=-1e-3').rule).toEqual({
      metric: 'f1',
      greater_is_better: true,
      statistic: 'f1_score',
      min: -0.001
    });
  });

  it('says what is wrong', () => {
    expect(parseRule('auc:better').error).toMatch(
      /after ':' comes higher or lower, not "better"/
    );
    expect(parseRule('auc,minimum=3').error).toMatch(/options are min=/);
    expect(parseRule('auc,min=x').error).toMatch(/min=x is not a number/);
    expect(parseRule(':higher').error).toMatch(/starts with a metric/);
    expect(parseRule('auc,abs=-1').error).toMatch(/0 or more/);
  });

  it('reads a text box: one per line, comments and blanks skipped, one per metric', () => {
    const parsed = parseRules(
      '# the policy\nauc:higher,min=0.8\n\n  loss:lower  \nauc:lower\nbad:worse'
    );
    expect(parsed.lines).toEqual(['auc:higher,min=0.8', 'loss:lower']);
    expect(parsed.rules.map(r => r.metric)).toEqual(['auc', 'loss']);
    expect(parsed.errors).toEqual([
      'one rule per metric: auc twice',
      '"bad:worse": after \':\' comes higher or lower, not "worse"'
    ]);
  });

  it('writes rules back as text that parses to the same rule', () => {
    const rule = {
      metric: 'auc',
      greater_is_better: true,
      min: 0.8,
      max: null,
      min_absolute_change: 0.01,
      min_relative_change: 0.05,
      statistic: null
    };
    expect(ruleText(rule)).toBe('auc:higher,min=0.8,abs=0.01,rel=5%');
    expect(parseRule(ruleText(rule)).rule).toEqual({
      metric: 'auc',
      greater_is_better: true,
      min: 0.8,
      min_absolute_change: 0.01,
      min_relative_change: 0.05
    });
    expect(
      rulesText([rule, { metric: 'loss', greater_is_better: false, max: 3 }])
    ).toBe('auc:higher,min=0.8,abs=0.01,rel=5%\nloss:lower,max=3');
  });

  it('says a rule in words', () => {
    expect(
      describeRule({ metric: 'auc', min: 0.8, min_absolute_change: 0.01 })
    ).toBe('auc: higher is better, at least 0.8, improves by 0.01 or more');
  });
});
