export { LogViewer } from './LogViewer';
export { LogView, type LogViewProps } from './LogView';
export { LogBuffer, parseLogFileLine, stripAnsi } from './log-buffer';
