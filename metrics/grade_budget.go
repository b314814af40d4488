package metrics

import (
	"context"
	"time"
)

// gradeBudget bounds the work one grading call may do: a step budget (every lexer, parser and
// evaluator step counts one) and a wall-clock deadline / context, checked every few thousand steps.
// Running out panics with gradeOutOfBudget, which GradeContext and Equivalent recover into an
// "incorrect" verdict.
type gradeBudget struct {
	ctx      context.Context
	deadline time.Time
	steps    int
	max      int
}

// gradeOutOfBudget is the panic value of an exhausted budget.
type gradeOutOfBudget struct{ reason string }

const (
	// DefaultGradeTimeout is the time limit Grade and Equivalent use.
	DefaultGradeTimeout = 2 * time.Second
	// gradeMaxSteps bounds the steps of one grading call independently of the clock.
	gradeMaxSteps = 4_000_000
	// gradeMaxAnswerLen is the longest extracted answer or gold (bytes) the comparer parses; longer
	// ones are compared as normalised strings only.
	gradeMaxAnswerLen = 4096
)

func newGradeBudget(ctx context.Context) *gradeBudget {
	b := &gradeBudget{ctx: ctx, max: gradeMaxSteps}
	if d, ok := ctx.Deadline(); ok {
		b.deadline = d
	}
	return b
}

func (b *gradeBudget) step() {
	b.steps++
	if b.steps&4095 == 0 {
		b.check()
	}
}

func (b *gradeBudget) check() {
	if b.steps > b.max {
		panic(gradeOutOfBudget{"step budget exhausted"})
	}
	if b.ctx != nil {
		if err := b.ctx.Err(); err != nil {
			panic(gradeOutOfBudget{"timeout: " + err.Error()})
		}
	}
	if !b.deadline.IsZero() && time.Now().After(b.deadline) {
		panic(gradeOutOfBudget{"timeout"})
	}
}
