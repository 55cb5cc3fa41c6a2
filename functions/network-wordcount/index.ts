import { closerHandler, kinesisHandler } from '../../lib/runtime';
import pipeline from './pipeline';

/** The Kinesis event source's handler (map phase, then closes ready batches). */
export const handler = kinesisHandler(pipeline);
/** The scheduled closer (EventBridge). */
export const closer = closerHandler(pipeline);
