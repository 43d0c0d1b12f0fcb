package planhat_test

import (
	"context"
	"errors"
	"time"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func timeParse(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

func t0ctx() context.Context { return context.Background() }
