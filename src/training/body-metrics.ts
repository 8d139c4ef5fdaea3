import type { components } from '../../generated/api.js';
import type { Units } from '../users/users.repository.js';

type BasicInformation = components['schemas']['BasicInformationView'];
type Frequency = components['schemas']['TrainingFrequency'];
export type DerivedMetrics = components['schemas']['DerivedMetrics'];
export type DisplayValues = components['schemas']['DisplayValues'];

/**
 * Activity factors by training frequency of the last three months (the usual multipliers of
 * the Harris–Benedict and Mifflin–St Jeor literature: sedentary, light, moderate, very active).
 */
export const ACTIVITY_FACTORS: Record<Frequency, number> = {
  none: 1.2,
  '1_2_times_week': 1.375,
  '3_4_times_week': 1.55,
  '5_plus_times_week': 1.725,
};

/**
 * The sex constant of Mifflin–St Jeor: +5 for men, −161 for women. The equation knows no
 * other; for `other` and `prefer_not_to_say` the midpoint (−78) is used, 83 kcal from
 * either.
 */
const SEX_CONSTANT = { male: 5, female: -161, other: -78, prefer_not_to_say: -78 } as const;

/** WHO adult categories; for ages under 18 BMI is read against age percentiles instead. */
const ADULT_AGE = 18;

const round1 = (value: number) => Math.round(value * 10) / 10;

export function bmiOf(weightKg: number, heightCm: number): number {
  const metres = heightCm / 100;
  return round1(weightKg / (metres * metres));
}

/** The WHO category of a BMI as shown (rounded to one decimal, so the figure and its category agree). */
export function bmiCategoryOf(bmi: number): DerivedMetrics['bmi_category'] {
  if (bmi < 18.5) return 'underweight';
  if (bmi < 25) return 'normal';
  if (bmi < 30) return 'overweight';
  return 'obese';
}

/** Basal metabolic rate by Mifflin–St Jeor, whole kcal a day. */
export function bmrOf(weightKg: number, heightCm: number, age: number, gender: keyof typeof SEX_CONSTANT): number {
  return Math.round(10 * weightKg + 6.25 * heightCm - 5 * age + SEX_CONSTANT[gender]);
}

/** What the service derives from a questionnaire; a figure is null when an answer it needs is missing. */
export function derivedOf(basics: BasicInformation, frequency: Frequency): DerivedMetrics {
  const { weight_kg: weight, height_cm: height, age, gender } = basics;
  const bmi = weight !== null && height !== null ? bmiOf(weight, height) : null;
  const bmr = weight !== null && height !== null && age !== null && gender !== null ? bmrOf(weight, height, age, gender) : null;
  return {
    bmi,
    bmi_category: bmi !== null && age !== null && age >= ADULT_AGE ? bmiCategoryOf(bmi) : null,
    bmr_kcal: bmr,
    tdee_kcal: bmr === null ? null : Math.round(bmr * ACTIVITY_FACTORS[frequency]),
  };
}

const LB_PER_KG = 1 / 0.45359237;
const CM_PER_INCH = 2.54;

/** Height in feet and inches as written in the US (`5 ft 7 in`), to the nearest inch. */
export function feetAndInches(heightCm: number): string {
  const inches = Math.round(heightCm / CM_PER_INCH);
  return `${Math.floor(inches / 12)} ft ${inches % 12} in`;
}

/** The stored metric values in the user's units: null for `metric` (the canonical fields already are). */
export function displayOf(basics: BasicInformation, units: Units): DisplayValues | null {
  if (units === 'metric') return null;
  return {
    weight_lb: basics.weight_kg === null ? null : round1(basics.weight_kg * LB_PER_KG),
    height_ft_in: basics.height_cm === null ? null : feetAndInches(basics.height_cm),
  };
}
