import { parseArgs } from '../../bench/lib/cli';
import { settingsFrom } from '../../bench/lib/settings';

describe('bench --set settings', () => {
  it('take KEY=VALUE split at the first =, as a separate or an inline argument', () => {
    expect(parseArgs(['--set', 'A_B=1=2', '--set=C=3', '--scenario', 'drain']).settings).toEqual({
      A_B: '1=2',
      C: '3',
    });
    expect(settingsFrom(['RELAY_BATCH_SIZE=1000', 'RELAY_BATCH_SIZE=500'])).toEqual({ RELAY_BATCH_SIZE: '500' });
    expect(settingsFrom()).toEqual({});
  });

  it('refuse anything that is not an upper-case key with a value', () => {
    expect(() => parseArgs(['--set', 'relay_batch_size=1'])).toThrow('--set needs KEY=VALUE');
    expect(() => settingsFrom(['NOVALUE'])).toThrow('--set needs KEY=VALUE, got "NOVALUE"');
  });
});
