import { CodeEditor, IEditorServices } from '@jupyterlab/codeeditor';
import React from 'react';

/** The cell source, read-only, highlighted by JupyterLab's editor when available. */
export function SourceView(props: {
  source: string;
  editorServices: IEditorServices | null;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const { source, editorServices } = props;
  React.useEffect(() => {
    if (!editorServices || !host.current) {
      return;
    }
    const model = new CodeEditor.Model({ mimeType: 'text/x-ipython' });
    model.sharedModel.setSource(source);
    const editor = editorServices.factoryService.newInlineEditor({
      host: host.current,
      model,
      config: { readOnly: true, lineNumbers: true, lineWrap: false }
    });
    return () => {
      editor.dispose();
      model.dispose();
    };
  }, [source, editorServices]);
  if (!editorServices) {
    return <pre className="jp-mlops-pre jp-mlops-source">{source}</pre>;
  }
  return (
    <div
      className="jp-mlops-source jp-mlops-editor"
      ref={host}
      aria-label="Cell source (read-only)"
    />
  );
}
