import { createTiktokenCounter } from '../../src/infra/llm/tiktoken-counter';

describe('tiktoken counter', () => {
  const counter = createTiktokenCounter();
  afterAll(() => counter.free());

  it('counts o200k_base tokens (numbers checked against tiktoken directly)', () => {
    expect(counter.count('hello world')).toBe(2);
    expect(counter.count('Hello, world!')).toBe(4);
    expect(counter.count('你好，世界')).toBe(3);
    expect(counter.count('')).toBe(0);
  });

  it('counts text that spells a special token instead of throwing', () => {
    expect(counter.count('hi <|endoftext|>')).toBe(8);
  });

  it('uses the encoding it is given', () => {
    const cl100k = createTiktokenCounter('cl100k_base');
    try {
      expect(cl100k.count('hello world')).toBe(2);
      expect(cl100k.count('你好，世界')).not.toBe(counter.count('你好，世界'));
    } finally {
      cl100k.free();
    }
  });
});
