export { RebootButton, type RebootButtonProps } from './RebootButton';
export { RebootSheet, type RebootSheetProps } from './RebootSheet';
