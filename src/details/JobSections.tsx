import { fastForwardIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { useSignal } from '../hooks';
import { DeterminismModel } from '../reproduce/determinismModel';
import {
  DeterminismButton,
  DeterminismView
} from '../reproduce/DeterminismSection';
import { ReproductionModel } from '../reproduce/model';
import { blocker, runPin } from '../reproduce/reproduction';
import { ReproduceSection } from '../reproduce/ReproduceSection';
import { SweepModel } from '../sweep/model';
import { SweepSection } from '../sweep/SweepSection';
import { Mlops } from '../types';
import { Section } from './Section';

/**
 * The Reproduction section (with "Check determinism" and its report) and, below it, "Rerun with other parameters" (opened by its button,
 * or by itself while a sweep of the run is known).
 */
export function JobSections(props: {
  run: Mlops.IRun;
  reproduction?: ReproductionModel;
  sweep?: SweepModel;
  /** The run's determinism check ("Check determinism"). */
  determinism?: DeterminismModel;
  /** Whether the user opened (true) or closed (false) the rerun form; null: not yet. */
  rerunOpen: boolean | null;
  setRerunOpen: (open: boolean) => void;
  openRun: (id: string) => void;
  compare?: (ids: string[]) => void;
}): JSX.Element {
  const { run, reproduction, sweep, determinism, rerunOpen, setRerunOpen } =
    props;
  // A sweep restored with the tab opens its section.
  useSignal(sweep?.changed);
  const sweepShown = rerunOpen ?? (sweep?.job ?? null) !== null;
  return (
    <>
      {reproduction && (
        <Section title="Reproduction">
          <ReproduceSection
            run={run}
            model={reproduction}
            openRun={props.openRun}
            actions={
              <>
                {sweep && (
                  <SmallButton
                    icon={fastForwardIcon}
                    aria-expanded={sweepShown}
                    title="Run this code again once per combination of other parameter values"
                    onClick={() => setRerunOpen(!sweepShown)}
                  >
                    Rerun with…
                  </SmallButton>
                )}
                {determinism && (
                  <DeterminismButton
                    model={determinism}
                    blocker={blocker(run, runPin(run))}
                  />
                )}
              </>
            }
          />
          {determinism && (
            <DeterminismView model={determinism} openRun={props.openRun} />
          )}
        </Section>
      )}
      {sweep && sweepShown && (
        <Section title="Rerun with other parameters">
          <SweepSection
            run={run}
            model={sweep}
            openRun={props.openRun}
            compare={props.compare}
          />
        </Section>
      )}
    </>
  );
}
