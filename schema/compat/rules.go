package compat

import "sort"

// A rule names one kind of change between an old and a new schema. Rules
// come in pairs: the comparison asks, for a writer schema W and a reader
// schema R, whether every message W accepts R accepts; the same shortfall
// gets one name when the reader is the new schema (the change broke new
// readers of old messages) and its mirror when the reader is the old one
// (old readers of new messages). Swapping old and new turns each finding
// into its mirror with the other readers broken.
type ruleDef struct {
	name   string
	mirror string
	// why says, in words, why the change can break the readers.
	why string
	// lenient: the strict policy calls this breaking, the lenient one a
	// warning (optional properties under open or closed content models).
	lenient bool
}

var rules = map[string]*ruleDef{}

// pair declares a rule (reader new) and its mirror (reader old); when both
// names are the same the rule is its own mirror.
func pair(readerNew, readerOld, whyNew, whyOld string) {
	rules[readerNew] = &ruleDef{name: readerNew, mirror: readerOld, why: whyNew}
	if readerOld != readerNew {
		rules[readerOld] = &ruleDef{name: readerOld, mirror: readerNew, why: whyOld}
	}
}

func init() {
	pair("TYPE_NARROWED", "TYPE_EXTENDED",
		"the new schema no longer accepts a JSON type that the old one accepted",
		"the new schema accepts a JSON type that the old one rejects")
	pair("TYPE_CHANGED", "TYPE_CHANGED",
		"the accepted JSON types changed: each schema accepts a type the other rejects",
		"the accepted JSON types changed: each schema accepts a type the other rejects")
	pair("FALSE_SCHEMA_ADDED", "FALSE_SCHEMA_REMOVED",
		"the new schema is false here: it rejects every value",
		"the old schema was false here: it rejects every value the new one now allows")
	pair("ENUM_NARROWED", "ENUM_EXTENDED",
		"values the old enum allowed are no longer in the new one",
		"the new enum allows values the old one rejects")
	pair("ENUM_CHANGED", "ENUM_CHANGED",
		"the enum changed: each version allows values the other rejects",
		"the enum changed: each version allows values the other rejects")
	pair("ENUM_ADDED", "ENUM_REMOVED",
		"the new schema restricts the value to a list the old one did not have",
		"the old schema restricted the value to a list that the new one dropped")
	pair("CONST_ADDED", "CONST_REMOVED",
		"the new schema fixes the value (const) where the old one did not",
		"the old schema fixed the value (const) and the new one does not")
	pair("CONST_CHANGED", "CONST_CHANGED",
		"the fixed value (const) changed",
		"the fixed value (const) changed")
	pair("VALUE_REJECTED", "VALUE_REJECTED",
		"a value the writer's enum or const allows fails another keyword of the reader",
		"a value the writer's enum or const allows fails another keyword of the reader")
	pair("MIN_LENGTH_ADDED", "MIN_LENGTH_REMOVED",
		"the new schema has a minLength that shorter old strings violate",
		"the old schema has a minLength that the new one dropped")
	pair("MIN_LENGTH_INCREASED", "MIN_LENGTH_DECREASED",
		"minLength grew: strings the old schema allowed are now too short",
		"minLength shrank: new strings can be shorter than old readers allow")
	pair("MAX_LENGTH_ADDED", "MAX_LENGTH_REMOVED",
		"the new schema has a maxLength that longer old strings violate",
		"the old schema has a maxLength that the new one dropped")
	pair("MAX_LENGTH_DECREASED", "MAX_LENGTH_INCREASED",
		"maxLength shrank: strings the old schema allowed are now too long",
		"maxLength grew: new strings can be longer than old readers allow")
	pair("PATTERN_ADDED", "PATTERN_REMOVED",
		"the new schema has a pattern that old strings need not match",
		"the old schema has a pattern that the new one dropped")
	pair("PATTERN_CHANGED", "PATTERN_CHANGED",
		"the pattern changed; regular-expression containment is not decided, so the change is taken as breaking unless the witness search finds none",
		"the pattern changed; regular-expression containment is not decided, so the change is taken as breaking unless the witness search finds none")
	pair("FORMAT_ADDED", "FORMAT_REMOVED",
		"the new schema asserts a format that old strings need not have",
		"the old schema asserts a format that the new one dropped")
	pair("FORMAT_CHANGED", "FORMAT_CHANGED",
		"the asserted format changed",
		"the asserted format changed")
	pair("MINIMUM_ADDED", "MINIMUM_REMOVED",
		"the new schema has a lower bound that smaller old numbers violate",
		"the old schema has a lower bound that the new one dropped")
	pair("MINIMUM_INCREASED", "MINIMUM_DECREASED",
		"the lower bound rose (or became exclusive)",
		"the lower bound fell (or became inclusive)")
	pair("MAXIMUM_ADDED", "MAXIMUM_REMOVED",
		"the new schema has an upper bound that larger old numbers violate",
		"the old schema has an upper bound that the new one dropped")
	pair("MAXIMUM_DECREASED", "MAXIMUM_INCREASED",
		"the upper bound fell (or became exclusive)",
		"the upper bound rose (or became inclusive)")
	pair("MULTIPLE_OF_ADDED", "MULTIPLE_OF_REMOVED",
		"the new schema has a multipleOf that old numbers need not satisfy",
		"the old schema has a multipleOf that the new one dropped")
	pair("MULTIPLE_OF_CHANGED", "MULTIPLE_OF_CHANGED",
		"multipleOf changed so that the writer's multiples are not all the reader's",
		"multipleOf changed so that the writer's multiples are not all the reader's")
	pair("MIN_ITEMS_ADDED", "MIN_ITEMS_REMOVED",
		"the new schema has a minItems that shorter old arrays violate",
		"the old schema has a minItems that the new one dropped")
	pair("MIN_ITEMS_INCREASED", "MIN_ITEMS_DECREASED",
		"minItems grew",
		"minItems shrank")
	pair("MAX_ITEMS_ADDED", "MAX_ITEMS_REMOVED",
		"the new schema has a maxItems that longer old arrays violate",
		"the old schema has a maxItems that the new one dropped")
	pair("MAX_ITEMS_DECREASED", "MAX_ITEMS_INCREASED",
		"maxItems shrank",
		"maxItems grew")
	pair("UNIQUE_ITEMS_ADDED", "UNIQUE_ITEMS_REMOVED",
		"the new schema requires unique items; old arrays may repeat one",
		"the old schema required unique items; new arrays may repeat one")
	pair("TUPLE_ITEM_REMOVED_FROM_CLOSED_TUPLE", "TUPLE_ITEM_ADDED_TO_CLOSED_TUPLE",
		"the new tuple is shorter and allows no further items, so the old last items are rejected",
		"the new tuple has an item where the old tuple allowed no further items")
	pair("TUPLE_ITEM_ADDED_TO_OPEN_TUPLE", "TUPLE_ITEM_REMOVED_FROM_OPEN_TUPLE",
		"the new tuple constrains a position that the old one left open",
		"the new tuple leaves open a position that the old one constrained")
	pair("ITEMS_CLOSED", "ITEMS_OPENED",
		"the new schema allows no items (or no further items) where the old one did",
		"the new schema allows items (or further items) where the old one allowed none")
	pair("ITEMS_NARROWED", "ITEMS_EXTENDED",
		"the new items schema rejects items the old one accepted",
		"the new items schema accepts items the old one rejects")
	pair("REQUIRED_ADDED", "REQUIRED_REMOVED",
		"a property is required now that old messages may lack (a default does not help: validators do not apply defaults)",
		"a property the old schema required may now be missing")
	pair("MIN_PROPERTIES_ADDED", "MIN_PROPERTIES_REMOVED",
		"the new schema has a minProperties that smaller old objects violate",
		"the old schema has a minProperties that the new one dropped")
	pair("MIN_PROPERTIES_INCREASED", "MIN_PROPERTIES_DECREASED",
		"minProperties grew",
		"minProperties shrank")
	pair("MAX_PROPERTIES_ADDED", "MAX_PROPERTIES_REMOVED",
		"the new schema has a maxProperties that larger old objects violate",
		"the old schema has a maxProperties that the new one dropped")
	pair("MAX_PROPERTIES_DECREASED", "MAX_PROPERTIES_INCREASED",
		"maxProperties shrank",
		"maxProperties grew")
	pair("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
		"the old content model was open, so old messages may carry this property with any value; the new schema constrains it",
		"the new content model is open, so new messages may carry this property with any value; the old schema constrained it")
	pair("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "PROPERTY_ADDED_TO_CLOSED_CONTENT_MODEL",
		"the property is gone from a closed content model, so old messages that carry it are rejected",
		"the old content model was closed, so old readers reject new messages that carry the new property")
	pair("PROPERTY_ADDED_TO_PARTIALLY_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_CONTENT_MODEL",
		"old messages may carry this property under the old patternProperties/additionalProperties schema, which the new property schema does not contain",
		"new messages may carry this property under the new patternProperties/additionalProperties schema, which the old property schema does not contain")
	for _, n := range []string{"PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
		"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "PROPERTY_ADDED_TO_CLOSED_CONTENT_MODEL",
		"PROPERTY_ADDED_TO_PARTIALLY_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_PARTIALLY_OPEN_CONTENT_MODEL"} {
		rules[n].lenient = true
	}
	pair("PATTERN_PROPERTY_ADDED", "PATTERN_PROPERTY_REMOVED",
		"a patternProperties entry constrains names that the old schema let through",
		"a patternProperties entry of the old schema is gone and its names now get a schema the old one does not contain")
	pair("PATTERN_PROPERTY_NARROWED", "PATTERN_PROPERTY_EXTENDED",
		"the schema of a patternProperties entry rejects values the old one accepted",
		"the schema of a patternProperties entry accepts values the old one rejects")
	pair("CONTENT_MODEL_CLOSED", "CONTENT_MODEL_OPENED",
		"the new schema forbids undeclared properties (additionalProperties or unevaluatedProperties false) that old messages may carry",
		"the old schema forbade undeclared properties that new messages may carry")
	pair("ADDITIONAL_PROPERTIES_NARROWED", "ADDITIONAL_PROPERTIES_EXTENDED",
		"the schema of undeclared properties rejects values the old one accepted",
		"the schema of undeclared properties accepts values the old one rejects")
	pair("DEPENDENT_REQUIRED_ADDED", "DEPENDENT_REQUIRED_REMOVED",
		"the new schema requires a property whenever another one is present",
		"the old schema required a property whenever another one was present")
	pair("PROPERTY_NAMES_NARROWED", "PROPERTY_NAMES_EXTENDED",
		"propertyNames rejects names the old schema allowed",
		"propertyNames allows names the old schema rejected")
	pair("ANY_OF_NARROWED", "ANY_OF_EXTENDED",
		"no branch of the new anyOf accepts every value of the old schema (branches matched independently of order)",
		"no branch of the old anyOf accepts every value of the new schema (branches matched independently of order)")
	pair("ONE_OF_NARROWED", "ONE_OF_EXTENDED",
		"no branch of the new oneOf accepts every value of the old schema (branches matched independently of order)",
		"no branch of the old oneOf accepts every value of the new schema (branches matched independently of order)")
	pair("ONE_OF_AMBIGUOUS", "ONE_OF_AMBIGUOUS",
		"a value may match two branches of the reader's oneOf, which then rejects it; no discriminator tells the branches apart",
		"a value may match two branches of the reader's oneOf, which then rejects it; no discriminator tells the branches apart")
	pair("NOT_ADDED", "NOT_REMOVED",
		"the new schema forbids (not) values that the old one allowed",
		"the old schema forbade (not) values that the new one allows")
	pair("NOT_CHANGED", "NOT_CHANGED",
		"the schema under not changed so that it forbids values the writer allows",
		"the schema under not changed so that it forbids values the writer allows")
	pair("CONDITIONAL_ADDED", "CONDITIONAL_REMOVED",
		"the new schema has an if/then/else that old messages need not satisfy",
		"the old schema had an if/then/else that new messages need not satisfy")
	pair("CONDITIONAL_CHANGED", "CONDITIONAL_CHANGED",
		"if/then/else changed; conditionals are compared only for equality",
		"if/then/else changed; conditionals are compared only for equality")
	pair("KEYWORD_ADDED", "KEYWORD_REMOVED",
		"the new schema has an assertion the old one lacks; it is compared only for equality",
		"the old schema had an assertion the new one lacks; it is compared only for equality")
	pair("KEYWORD_CHANGED", "KEYWORD_CHANGED",
		"an assertion changed; it is compared only for equality",
		"an assertion changed; it is compared only for equality")
	pair("ANALYSIS_LIMIT", "ANALYSIS_LIMIT",
		"the schemas are too large or too deeply nested to compare fully; taken as breaking",
		"the schemas are too large or too deeply nested to compare fully; taken as breaking")
	rules["TOPIC_REMOVED"] = &ruleDef{name: "TOPIC_REMOVED", why: "the topic is gone from the new schema set, so new readers have no schema for the messages old writers still publish on it"}
	rules["TOPIC_SCHEMA_REPLACED"] = &ruleDef{name: "TOPIC_SCHEMA_REPLACED", why: "the topic names another schema file or location; the structural comparison of the two decides"}
	rules["API_CHANGED"] = &ruleDef{name: "API_CHANGED", why: "the generated Go API changes: code that uses it may no longer compile"}
}

// Rules returns the names of all rules, sorted.
func Rules() []string {
	out := make([]string, 0, len(rules))
	for k := range rules {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Mirror returns the name a finding of rule gets when the old and new
// schemas swap places (TYPE_NARROWED <-> TYPE_EXTENDED); the rule itself
// when it has no mirror.
func Mirror(rule string) string {
	if r := rules[rule]; r != nil && r.mirror != "" {
		return r.mirror
	}
	return rule
}

// Why returns the explanation of rule.
func Why(rule string) string {
	if r := rules[rule]; r != nil {
		return r.why
	}
	return ""
}

// LenientAllows reports whether the lenient policy takes rule as a warning.
func LenientAllows(rule string) bool {
	r := rules[rule]
	return r != nil && r.lenient
}
