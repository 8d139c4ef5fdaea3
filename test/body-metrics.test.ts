import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bmiCategoryOf, derivedOf, displayOf, feetAndInches } from '../src/training/body-metrics.js';
import { seedQuestionnaire } from './profile-helpers.js';
import { databases } from './support/databases.js';
import { type Service, startService } from './support/service.js';
import { signedInUser } from './support/users.js';

type Gender = 'male' | 'female' | 'other' | 'prefer_not_to_say' | null;
type Frequency = 'none' | '1_2_times_week' | '3_4_times_week' | '5_plus_times_week';
const basics = (gender: Gender, age: number | null, height_cm: number | null, weight_kg: number | null) => ({ gender, age, height_cm, weight_kg });

describe('derived body metrics, against worked examples', () => {
  const cases: [string, ReturnType<typeof basics>, Frequency, ReturnType<typeof derivedOf>][] = [
    // 62 / 1.68² = 21.97; 620 + 1050 − 165 − 161 = 1344; 1344 × 1.55 = 2083.2
    [
      'the seed questionnaire (woman, 33, 168 cm, 62 kg, 3–4 times a week)',
      basics('female', 33, 168, 62),
      '3_4_times_week',
      { bmi: 22, bmi_category: 'normal', bmr_kcal: 1344, tdee_kcal: 2083 },
    ],
    // 80 / 1.8² = 24.69; 800 + 1125 − 200 + 5 = 1730; × 1.2 = 2076
    ['a sedentary man (40, 180 cm, 80 kg)', basics('male', 40, 180, 80), 'none', { bmi: 24.7, bmi_category: 'normal', bmr_kcal: 1730, tdee_kcal: 2076 }],
    // 95 / 1.75² = 31.02; 950 + 1093.75 − 125 + 5 = 1923.75; 1924 × 1.725 = 3318.9
    [
      'a very active man (25, 175 cm, 95 kg)',
      basics('male', 25, 175, 95),
      '5_plus_times_week',
      { bmi: 31, bmi_category: 'obese', bmr_kcal: 1924, tdee_kcal: 3319 },
    ],
    // 70 / 1.6² = 27.34; 700 + 1000 − 250 − 78 = 1372; × 1.375 = 1886.5
    [
      'gender other, the midpoint constant (50, 160 cm, 70 kg)',
      basics('other', 50, 160, 70),
      '1_2_times_week',
      { bmi: 27.3, bmi_category: 'overweight', bmr_kcal: 1372, tdee_kcal: 1887 },
    ],
    [
      'prefer_not_to_say, the same midpoint',
      basics('prefer_not_to_say', 50, 160, 70),
      '1_2_times_week',
      { bmi: 27.3, bmi_category: 'overweight', bmr_kcal: 1372, tdee_kcal: 1887 },
    ],
    // 50 / 1.7² = 17.30; 500 + 1062.5 − 100 − 161 = 1301.5; 1302 × 1.2 = 1562.4
    [
      'an underweight woman (20, 170 cm, 50 kg)',
      basics('female', 20, 170, 50),
      'none',
      { bmi: 17.3, bmi_category: 'underweight', bmr_kcal: 1302, tdee_kcal: 1562 },
    ],
    // 99.84 / 2² = 24.96, shown as 25.0: the category is that of the figure shown; 998.4 + 1250 − 150 + 5 = 2103.4; 2103 × 1.2 = 2523.6
    ['a BMI of 24.96 (shown as 25.0)', basics('male', 30, 200, 99.84), 'none', { bmi: 25, bmi_category: 'overweight', bmr_kcal: 2103, tdee_kcal: 2524 }],
    // 55 / 1.65² = 20.20; 550 + 1031.25 − 80 − 161 = 1340.25; 1340 × 1.2 = 1608
    ['a 16-year-old (no adult category)', basics('female', 16, 165, 55), 'none', { bmi: 20.2, bmi_category: null, bmr_kcal: 1340, tdee_kcal: 1608 }],
    ['gender unanswered', basics(null, 33, 168, 62), 'none', { bmi: 22, bmi_category: 'normal', bmr_kcal: null, tdee_kcal: null }],
    ['nothing answered yet', basics(null, null, null, null), 'none', { bmi: null, bmi_category: null, bmr_kcal: null, tdee_kcal: null }],
  ];
  it.each(cases)('when %s, then the figures are the worked ones', (_name, input, frequency, expected) => {
    expect(derivedOf(input, frequency)).toEqual(expected);
  });

  it.each([
    [18.4, 'underweight'],
    [18.5, 'normal'],
    [24.9, 'normal'],
    [25, 'overweight'],
    [29.9, 'overweight'],
    [30, 'obese'],
  ] as const)('when the BMI is %d, then the WHO category is %s', (bmi, category) => {
    expect(bmiCategoryOf(bmi)).toBe(category);
  });

  it.each([
    [168, '5 ft 6 in'],
    [180, '5 ft 11 in'],
    [182.9, '6 ft 0 in'],
    [152.4, '5 ft 0 in'],
  ])('when the height is %d cm, then it is %s', (cm, shown) => {
    expect(feetAndInches(cm)).toBe(shown);
  });

  it('when the units are imperial, then weight in pounds to a decimal and height in feet and inches; metric shows none', () => {
    expect(displayOf(basics('female', 33, 168, 62), 'imperial')).toEqual({ weight_lb: 136.7, height_ft_in: '5 ft 6 in' });
    expect(displayOf(basics(null, null, null, null), 'imperial')).toEqual({ weight_lb: null, height_ft_in: null });
    expect(displayOf(basics('female', 33, 168, 62), 'metric')).toBeNull();
  });
});

describe.each(databases)('derived and display in GET /training-profile on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  const get = async (token: string) => (await service.call('GET', '/training-profile', { token })).body;

  it('when nothing is stored yet, then every derived figure is null and display is null', async () => {
    const user = await signedInUser(service);
    expect(await get(user.token)).toMatchObject({ derived: { bmi: null, bmi_category: null, bmr_kcal: null, tdee_kcal: null }, display: null });
  });

  it('when the questionnaire is stored, then PUT and GET answer its figures, and imperial units add the display values', async () => {
    const user = await signedInUser(service);
    const put = await service.call('PUT', '/training-profile', { token: user.token, body: seedQuestionnaire() });
    const derived = { bmi: 22, bmi_category: 'normal', bmr_kcal: 1344, tdee_kcal: 2083 };
    expect(put.body).toMatchObject({ derived, display: null });
    expect(await get(user.token)).toMatchObject({ derived, display: null });

    expect((await service.call('POST', '/user-data', { token: user.token, body: { settings: { units: 'imperial' } } })).status).toBe(200);
    const imperial = await get(user.token);
    expect(imperial).toMatchObject({ derived, display: { weight_lb: 136.7, height_ft_in: '5 ft 6 in' } });
    expect(imperial.training_profile.basic_information).toEqual({ gender: 'female', age: 33, height_cm: 168, weight_kg: 62 });
    const row = await service.db('training_profiles').first('profile');
    expect(row.profile).not.toContain('weight_lb');
  });

  it('when the units are neither metric nor imperial, then 400 and they stay', async () => {
    const user = await signedInUser(service);
    const res = await service.call('POST', '/user-data', { token: user.token, body: { settings: { units: 'stone' } } });
    expect(res.status).toBe(400);
    expect((await service.call('GET', '/user-data', { token: user.token })).body.settings.units).toBe('metric');
  });
});
